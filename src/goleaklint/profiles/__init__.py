"""Runtime evidence: pprof profiles and goroutine dumps read (``--profile``), their frames mapped
to the analysed files, and their numbers put on the findings they support.

Imported only when ``--profile`` is given: ``google.protobuf`` is not loaded otherwise.
"""
