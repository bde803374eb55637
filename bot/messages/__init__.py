"""What people read: Block Kit builders, one module per surface, and every Slack limit named once.

Pure functions from domain data to message, modal and Home payloads; handlers and the scheduler
send what these return as it is.
"""
