"""The async flavour: the one hand-written source of the client and its services."""
