"""The seed's rules (SPEC §3) as pure functions over plain values: no Flask, no database."""
