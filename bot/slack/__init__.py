"""The wiring and the Slack adapters: the app factory, start-up, the HTTP server, the scheduler,
and the Web API calls the core never makes itself (users.info, sending)."""
