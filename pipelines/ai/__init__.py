"""The AI layer (API.md section 7): one Anthropic client (`client`), prompts, and one module per feature:
natural-language query (`nlq`, with `sqlcheck` and `reader` for its safety), `insights`, `churn`, `chat`
(with `tools`), `reports`, `sentiment`, and `market` (cross-analysis and ASO)."""
