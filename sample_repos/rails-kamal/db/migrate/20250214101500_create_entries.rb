class CreateEntries < ActiveRecord::Migration[8.0]
  def change
    create_table :entries do |t|
      t.references :account, null: false, foreign_key: true
      t.date :booked_on, null: false
      t.bigint :amount_cents, null: false
      t.string :memo
      t.timestamps
    end
  end
end
