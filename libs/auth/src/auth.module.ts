import { type DynamicModule, Global, Module } from '@nestjs/common';
import { AUTH_OPTIONS, type AuthOptions } from './auth-options';
import { JwtAuthGuard } from './jwt-auth.guard';
import { RealmRoleGuard } from './roles.guard';
import { TenantClaimGuard } from './tenant-claim.guard';
import { TokenVerifier } from './token-verifier';

@Global()
@Module({})
export class AuthModule {
  static forRoot(options: AuthOptions): DynamicModule {
    return {
      module: AuthModule,
      providers: [{ provide: AUTH_OPTIONS, useValue: options }, TokenVerifier, JwtAuthGuard, RealmRoleGuard, TenantClaimGuard],
      exports: [AUTH_OPTIONS, TokenVerifier, JwtAuthGuard, RealmRoleGuard, TenantClaimGuard],
    };
  }
}
