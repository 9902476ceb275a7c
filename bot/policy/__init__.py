"""The contact policy: one send gate for every outbound message, and the record of its decisions."""
