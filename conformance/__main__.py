from conformance._cli import main

raise SystemExit(main())
