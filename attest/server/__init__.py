"""`attest serve`: a read-only verification page over one deployment (a shell beside the CLI).

The page hashes documents in the reader's browser and sends only digests and receipts; the server
answers with what `attest verify` would say (attest.app.claimed), an organisation's history, the
deployment's facts and disclosure proofs. It holds no key and sends no transaction: the import
contracts in pyproject.toml forbid it the modules that sign or write.
"""
