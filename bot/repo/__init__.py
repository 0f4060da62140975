"""The data layer: one module per aggregate, queries as constants, a connection passed in so
the caller decides the transaction."""
