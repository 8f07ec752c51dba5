import { dashboardRoomOf, effectiveAgent } from './task-rules';

describe('effectiveAgent', () => {
  it("is the creator's choice when they made one, whatever the analysis recommends", () => {
    expect(effectiveAgent({ preferredAgent: 'copilot', recommendedAgent: 'codex' })).toBe('copilot');
    expect(effectiveAgent({ preferredAgent: 'codex', recommendedAgent: null })).toBe('codex');
  });

  it("is the analysis' recommendation on auto, and none before the analysis", () => {
    expect(effectiveAgent({ preferredAgent: 'auto', recommendedAgent: 'claude-code' })).toBe('claude-code');
    expect(effectiveAgent({ preferredAgent: 'auto', recommendedAgent: null })).toBeNull();
  });
});

describe('dashboardRoomOf', () => {
  const task = { creatorId: 'u1', orgId: 'o1' };

  it("sends a shared task's dashboard updates to its org's room", () => {
    expect(dashboardRoomOf({ ...task, isPrivate: false })).toBe('org:o1');
  });

  it("sends a private task's only to its creator's dashboard room, never the org's nor every socket of theirs", () => {
    expect(dashboardRoomOf({ ...task, isPrivate: true })).toBe('user-dashboard:u1');
  });
});
