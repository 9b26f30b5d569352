"""API views: typed function views of a few lines — access helper, service, response."""
