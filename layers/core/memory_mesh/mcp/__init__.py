"""Memory Mesh as an MCP server (the official ``mcp`` SDK): ``memory-mesh mcp`` over stdio
for desktop agents and IDEs, and ``/mcp`` (streamable HTTP) of ``memory-mesh serve`` for
remote agents. Never imported by the Lambda functions (the layer has no ``mcp``)."""
