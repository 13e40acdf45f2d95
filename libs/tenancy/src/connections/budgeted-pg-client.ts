import { Client } from 'pg';
import type { ConnectionBudget } from './connection-budget';

/**
 * A pg Client that takes a permit from the process-wide budget before it opens its socket and gives
 * it back once the socket has closed, however it closes. Given to each tenant's pg Pool as its
 * Client class, it makes the cap hold across all tenant pools without them knowing of each other.
 */
export function budgetedClientClass(budget: ConnectionBudget): typeof Client {
  return class BudgetedClient extends Client {
    private holdsPermit = false;

    override connect(): Promise<Client>;
    override connect(callback: (err: Error) => void): void;
    override connect(callback?: (err: Error) => void): Promise<Client> | void {
      const connecting = budget.acquire().then(async () => {
        this.holdsPermit = true;
        this.once('end', () => this.releasePermit());
        try {
          await super.connect();
        } catch (error) {
          this.releasePermit();
          throw error;
        }
        return this as Client;
      });
      if (!callback) return connecting;
      const done = callback as (err: Error | null) => void;
      connecting.then(
        () => done(null),
        (error: Error) => done(error),
      );
    }

    private releasePermit(): void {
      if (!this.holdsPermit) return;
      this.holdsPermit = false;
      budget.release();
    }
  };
}
