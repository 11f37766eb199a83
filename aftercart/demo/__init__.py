"""The demo: a sample shop's customers and orders, the Shopify and WooCommerce stores that
send its webhooks, and the run that checks every expected message arrived (`make demo`)."""
