"""The simulated card-terminal fleet: devices speaking the MQTT protocol and a reproducible Zhuhai fleet."""
