"""An S3 endpoint for Hadoop's S3A client in tests: moto in server mode, every request it answers recorded."""
