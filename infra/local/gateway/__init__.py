"""The local REST API Gateway of the stack (see infra/local/README.md, "The API Gateway")."""
