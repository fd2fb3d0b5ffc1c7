"""HTTP edge: app factory, middleware, error handlers, dependencies, router assembly."""
