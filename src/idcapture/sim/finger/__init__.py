"""The fingerprint simulators' common feed: finger event scripts and image sources
(:mod:`.sources`), and the in-process ``sim:fingerprint`` driver (:mod:`.driver`).
The AS608 (:mod:`idcapture.sim.as608`) and ZKFinger (:mod:`idcapture.sim.zkfinger`)
simulators are fed by the same scripts."""
