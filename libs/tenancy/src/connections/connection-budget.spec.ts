import { ConnectionBudget } from './connection-budget';
import { TenantConnectionsExhausted } from './tenant-connections-exhausted.error';

describe('ConnectionBudget', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('grants up to its capacity at once, then makes callers wait and asks for a reclaim', async () => {
    const reclaim = jest.fn(() => true);
    const budget = new ConnectionBudget(2, 1_000, reclaim);
    await budget.acquire();
    await budget.acquire();
    expect(budget.inUse).toBe(2);
    let granted = false;
    const third = budget.acquire().then(() => (granted = true));
    await Promise.resolve();
    expect(granted).toBe(false);
    expect(reclaim).toHaveBeenCalledTimes(1);
    budget.release();
    await third;
    expect(budget.inUse).toBe(2);
  });

  it('serves waiters in order, and a newcomer does not jump a waiting queue', async () => {
    const budget = new ConnectionBudget(1, 1_000, () => false);
    await budget.acquire();
    const order: string[] = [];
    const first = budget.acquire().then(() => order.push('first'));
    budget.release();
    const second = budget.acquire().then(() => order.push('second'));
    await first;
    budget.release();
    await second;
    expect(order).toEqual(['first', 'second']);
  });

  it('a waiter gives up after the timeout with a 503-category error and leaves the queue', async () => {
    jest.useFakeTimers();
    const budget = new ConnectionBudget(1, 50, () => false);
    await budget.acquire();
    const waiting = budget.acquire();
    jest.advanceTimersByTime(50);
    await expect(waiting).rejects.toBeInstanceOf(TenantConnectionsExhausted);
    await expect(waiting).rejects.toMatchObject({ category: 'unavailable' });
    expect(budget.waiting).toBe(0);
    expect(budget.inUse).toBe(1);
  });

  it('closes exactly as many idle connections as waiters lack, however often it is relieved', async () => {
    const reclaim = jest.fn(() => true);
    const budget = new ConnectionBudget(2, 1_000, reclaim);
    budget.relieve();
    expect(reclaim).not.toHaveBeenCalled();
    await budget.acquire();
    await budget.acquire();
    const waiting = [budget.acquire(), budget.acquire()];
    for (let i = 0; i < 5; i += 1) budget.relieve();
    expect(reclaim).toHaveBeenCalledTimes(2);
    budget.release();
    budget.release();
    await Promise.all(waiting);
    budget.relieve();
    expect(reclaim).toHaveBeenCalledTimes(2);
  });

  it('keeps asking when nothing idle could be closed, so a later idle connection serves the waiter', async () => {
    let idle = false;
    const reclaim = jest.fn(() => idle);
    const budget = new ConnectionBudget(1, 1_000, reclaim);
    await budget.acquire();
    const waiting = budget.acquire();
    expect(reclaim).toHaveBeenCalledTimes(1);
    idle = true;
    budget.relieve();
    expect(reclaim).toHaveBeenCalledTimes(2);
    budget.release();
    await waiting;
  });
});
