raise ImportError("the fixture SDK is read with ast, never imported")
