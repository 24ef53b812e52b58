"""The reference server: the benchmark's scenarios on bare Starlette + asyncpg."""
