"""The local provider sandbox: SendGrid, Twilio and web push servers for the real SDKs to call.

Entry points: `sandbox.server.create_sandbox_app` / `run_sandbox`, `sandbox.client.SandboxClient`
for the outbox, `sandbox.testing.shared_sandbox` for tests.
"""
