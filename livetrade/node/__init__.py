"""The runtime: the node's nursery, channels, dispatcher, lifecycle and clocks."""
