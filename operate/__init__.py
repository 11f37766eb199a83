"""The operator's tools: each notification's whole life read back from Kafka (explain), and,
as they land, replay and dead-letter redrive. Above the roles, below the composition root."""
