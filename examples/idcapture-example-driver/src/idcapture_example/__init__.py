"""Example idcapture driver plugin."""
