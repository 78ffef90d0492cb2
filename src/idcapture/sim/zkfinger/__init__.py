"""The ZKFinger simulator: control of the compiled SDK simulator (:mod:`.control`)."""
