"""Metrics, structured logs and tracing.

- :mod:`~memory_mesh.observability.metrics`: the :class:`MetricsRecorder` protocol the
  services call, its Prometheus backend (``/metrics`` on the local server) and
  :func:`build_metrics`, which picks the backend from the settings;
- :mod:`~memory_mesh.observability.emf`: the same metrics as CloudWatch EMF (Lambda);
- :mod:`~memory_mesh.observability.logs`: JSON / text log lines with the request id;
- :mod:`~memory_mesh.observability.access`: one access-log line and the HTTP metrics per
  request;
- :mod:`~memory_mesh.observability.tracing`: OpenTelemetry, only when an OTLP endpoint is
  configured (nothing of OpenTelemetry is imported otherwise).
"""
