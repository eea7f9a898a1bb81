"""HTTP clients for the Seamless hashserver and database, read folders and launched services.."""
