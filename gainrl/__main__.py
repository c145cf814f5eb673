from gainrl.cli import main

raise SystemExit(main())
