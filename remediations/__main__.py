from remediations.cli import main

raise SystemExit(main())
