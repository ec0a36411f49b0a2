module example.com/memory-mesh-quickstart

go 1.19
