"""The long-connection gateway: wire protocol, connections, fan-out."""
