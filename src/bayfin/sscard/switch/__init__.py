"""The ISO 8583 switch: message codec and validation, acquirer links, keys and PINs, holds, the TCP server."""
