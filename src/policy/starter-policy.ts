/** The policy file `keygate init` writes: every service wired, no agent allowed anything yet. */
export const STARTER_POLICY = `# keygate policy. Deny by default: an agent may call only the tools listed for it.
# Reference: README.md, "Policy file". Reloaded when it changes.
services:
  github: { spec: builtin:github, credential: github }   # keygate secret set github
  stripe: { spec: builtin:stripe, credential: stripe }   # a restricted key (rk_...) is best
  notion: { spec: builtin:notion, credential: notion }
defaults:
  approval: { read: never, write: required, destructive: required, payment: out-of-band }   # payments: never approved in the agent's own client
  approval_timeout: 5m   # how long a human has to decide
  approval_wait: 4m      # how long a call waits for an out-of-band decision before saying "pending"
agents: {}
# agents:
#   triage-bot:
#     tools: ["github_issue_*", "github_pull_list", "!github_issue_lock"]
#     constraints:
#       "github_*": { owner: acme }
#     discovery: auto    # past 40 tools, tools/list shows search, describe and call instead
`;
