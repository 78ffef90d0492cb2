"""Transports: serial, USB, PC/SC and native libraries. They move bytes; they know no protocol."""
