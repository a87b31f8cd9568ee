from seuil.cli import main

main()
