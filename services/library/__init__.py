"""The process library: frozen process versions, what people see of them."""
