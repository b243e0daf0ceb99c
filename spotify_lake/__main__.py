from spotify_lake.cli import main

raise SystemExit(main())
