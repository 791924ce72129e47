from outbreak.cli import main

main()
