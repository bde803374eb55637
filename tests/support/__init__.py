"""What tests and benchmarks share: the Slack Web API stand-in, signed request builders, a running
bot, Block Kit checks, and the reminder scenario helpers.

    from tests.support.harness import start_bot
    from tests.support.slack_stub import SlackStub
"""
