from unclench.cli import main

main()
