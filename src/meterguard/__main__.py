from meterguard.entrypoints.cli import main

main()
