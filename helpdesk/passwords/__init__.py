"""Password reset by email: asked for on the web, mailed by the worker (see ``services``)."""
