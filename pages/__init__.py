"""Web pages for people, served by the gateway: the customer's preference center (and the
operator's console). Above `operate` and `ingest`: a page reads what they know and acts
through them."""
