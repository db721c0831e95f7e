"""The security probe's parameters of core's pages: an upload job's file is the job of 兴隆镇 the probe
builds (see dajiuzhu/api/tests/test_probe.py)."""

PROBE_PARAMS = {":upload_job:pk": "job"}
