"""The ground floor every role stands on: the settings object, the faust app factory and its
Kafka transport, and the signed-link format the stream processor writes and the gateway reads."""
