"""The one home of generators and simulators: synthetic regions, deliveries, traffic and devices for
the demo, tests and benchmarks. Production code never imports it; only module CLIs and demo hooks do."""
