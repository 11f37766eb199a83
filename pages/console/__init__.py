"""The ops console (/console on the gateway): what the pipeline is doing, why a customer did
or did not hear, dead letters, replays and templates, as pages behind a token. Each page
uses the same code as the `aftercart` command that does the same (operate/)."""
