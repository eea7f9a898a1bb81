"""Console scripts of seamless-config: seamless-init and seamless-service-resolve."""
