import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

// Types both drivers know: String is text on PostgreSQL and nvarchar (a Unicode parameter, comparable in
// WHERE) on SQL Server, where 'text' would mean the legacy type; the creation date takes each driver's own.
@Entity({ name: 'customers' })
export class Customer {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: String })
  name: string;

  @Column({ type: String, nullable: true })
  email: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;
}
