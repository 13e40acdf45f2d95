import { Test } from '@nestjs/testing';
import { HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { checkHealth, dependencyStates, probe } from './health-answer';

describe('checkHealth: terminus runs the checks, the answer keeps our shape', () => {
  let terminus: HealthCheckService;
  let indicators: HealthIndicatorService;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [TerminusModule.forRoot({ logger: false })] }).compile();
    terminus = moduleRef.get(HealthCheckService);
    indicators = moduleRef.get(HealthIndicatorService);
  });

  const answers = (key: string) => probe(indicators, key, async () => undefined);
  // Never settles: down once the probe's bound passes.
  const fails = (key: string) => probe(indicators, key, () => new Promise(() => undefined));

  it('every dependency up: 200 ok', async () => {
    const answer = await checkHealth<'db' | 'redis'>(terminus, [answers('db'), answers('redis')]);
    expect(answer).toMatchObject({ httpStatus: 200, status: 'ok' });
    expect(dependencyStates(answer.details)).toEqual({ db: 'up', redis: 'up' });
  });

  it('one dependency not answering within the bound: 503 degraded, naming it', async () => {
    const answer = await checkHealth<'db' | 'redis'>(terminus, [answers('db'), fails('redis')]);
    expect(answer).toMatchObject({ httpStatus: 503, status: 'degraded' });
    expect(dependencyStates(answer.details)).toEqual({ db: 'up', redis: 'down' });
  });

  it("terminus's degraded (impaired, still serving) is 200 busy; a dependency down still wins", async () => {
    const queueing = () => indicators.check('pool').degraded({ waiting: 3 });
    expect(await checkHealth(terminus, [answers('db'), queueing])).toMatchObject({ httpStatus: 200, status: 'busy' });
    const refused = probe(indicators, 'db', () => Promise.reject(new Error('connection refused')));
    expect(await checkHealth(terminus, [refused, queueing])).toMatchObject({ httpStatus: 503, status: 'degraded' });
  });
});
